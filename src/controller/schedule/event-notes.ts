// Event notes that name many objects: a run over 200 pods must not produce
// 200 events, nor a note the recorder cuts at 1 kB in the middle of a name.

const shown = 5;

/** "a, b, c, d, e and 7 more" */
export function listed(items: readonly string[]): string {
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head} and ${items.length - shown} more` : head;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Items grouped by a key, in first-seen order. */
export function groupedBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
