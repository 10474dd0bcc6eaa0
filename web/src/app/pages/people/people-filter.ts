/** The People page's pure helpers (unit-tested). */

/**
 * `?page=` → a page number: absent or empty → 1; a positive whole number → itself; anything else → null
 * (the page then goes to the first page, replacing the bad URL).
 */
export function parsePageParam(raw: string | null | undefined): number | null {
  if (raw === undefined || raw === null || raw === '') return 1;
  if (!/^\d{1,9}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 ? n : null;
}

const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase('en');

/** The filter box: the name contains the text, ignoring case, accents and surrounding spaces. */
export function matchesFilter(username: string, text: string): boolean {
  const q = fold(text.trim());
  return q === '' || fold(username).includes(q);
}
