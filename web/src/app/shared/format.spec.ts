import { bytesParts, clockTime, formatBytesRate, formatCount, formatDuration, formatRate } from './format';

describe('format', () => {
  it('counts', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(2.6)).toBe('3');
    expect(formatCount(null)).toBe('—');
  });

  it('rates: one decimal below 10, whole numbers above', () => {
    expect(formatRate(0)).toBe('0');
    expect(formatRate(2.54)).toBe('2.5');
    expect(formatRate(1)).toBe('1.0');
    expect(formatRate(1523.4)).toBe('1,523');
    expect(formatRate(null)).toBe('—');
    expect(formatRate(NaN)).toBe('—');
  });

  it('bytes per second in decimal units', () => {
    expect(formatBytesRate(0)).toBe('0 B/s');
    expect(formatBytesRate(812)).toBe('812 B/s');
    expect(formatBytesRate(12_345)).toBe('12.3 kB/s');
    expect(formatBytesRate(999_999)).toBe('1.0 MB/s');
    expect(formatBytesRate(250_000)).toBe('250 kB/s');
    expect(formatBytesRate(3.2e9)).toBe('3.2 GB/s');
    expect(formatBytesRate(null)).toBe('—');
    expect(bytesParts(1500)).toEqual(['1.5', 'kB']);
  });

  it('clock time and durations', () => {
    expect(clockTime(new Date(2026, 10, 25, 9, 5, 7).getTime())).toBe('09:05:07');
    expect(formatDuration(400)).toBe('0 s');
    expect(formatDuration(12_300)).toBe('12 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(3_840_000)).toBe('1 h 4 min');
  });
});
