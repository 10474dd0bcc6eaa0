import { matchesFilter, parsePageParam } from './people-filter';

describe('people page helpers', () => {
  it('parsePageParam: absent → 1, positive whole numbers, anything else → null', () => {
    expect(parsePageParam(undefined)).toBe(1);
    expect(parsePageParam(null)).toBe(1);
    expect(parsePageParam('')).toBe(1);
    expect(parsePageParam('1')).toBe(1);
    expect(parsePageParam('12')).toBe(12);
    expect(parsePageParam('007')).toBe(7);
    for (const bad of ['0', '-1', '1.5', 'abc', '2x', ' 2', '1e3', '9999999999']) expect(parsePageParam(bad)).toBeNull();
  });

  it('matchesFilter: contains, ignoring case, accents and surrounding spaces; empty matches all', () => {
    expect(matchesFilter('Carol', '')).toBe(true);
    expect(matchesFilter('Carol', '   ')).toBe(true);
    expect(matchesFilter('Carol', 'car')).toBe(true);
    expect(matchesFilter('Carol', ' ROL ')).toBe(true);
    expect(matchesFilter('José_Núñez', 'jose_nun')).toBe(true);
    expect(matchesFilter('bob', 'carol')).toBe(false);
  });
});
