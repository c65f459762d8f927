// metav1.Time and metav1.MicroTime on the wire. The API server rejects a
// MicroTime without six fractional digits in some fields (Lease renewTime,
// Event eventTime), so format them exactly.

/** RFC 3339 with seconds precision, as metav1.Time. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with microsecond precision, as metav1.MicroTime. */
export function formatMicroTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  return `${iso.slice(0, 23)}000Z`;
}

export function parseTime(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}
