// Whether a spec.timeZone names a zone of the IANA time zone database, as
// CronJob's timeZone must. Intl (ICU's copy of the database, shipped with
// Node) is the authority, so the answer matches what croner can evaluate.

/**
 * True for an IANA zone name (Europe/Berlin, UTC, a link such as US/Eastern).
 * Intl also takes fixed offsets such as +01:00, which are not zones and would
 * not follow daylight saving time; those are refused, as Go's LoadLocation
 * (and so CronJob) refuses them.
 */
export function isIanaTimeZone(name: string): boolean {
  if (name === '' || /^[+-]/.test(name)) return false;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return !/^[+-]/.test(resolved);
  } catch {
    return false;
  }
}
