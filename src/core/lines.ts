import type { Position } from './types.js';

/**
 * Turns byte offsets into line/column once, when reporting. Built lazily per chunk, and only for
 * chunks that have findings: most chunks never need it.
 */
export interface LineIndex {
  /** Lines from 1, columns from 1 in UTF-16 code units. `offset` is a byte offset into the data. */
  position(offset: number): Position;
  /** The text of the line holding `offset`, without its newline. */
  lineText(offset: number): string;
}

/** Offsets where each line starts, in the unit of `indexOf` (bytes of a Buffer, code units of a string). */
export function lineStarts(text: Buffer | string): number[] {
  const starts: number[] = [0];
  const next = typeof text === 'string' ? (from: number) => text.indexOf('\n', from) : (from: number) => text.indexOf(10, from);
  for (let i = next(0); i !== -1; i = next(i + 1)) starts.push(i + 1);
  return starts;
}

/** The line (from 0) that holds `offset`, by binary search over `lineStarts`. */
export function lineOfOffset(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function buildLineIndex(data: Buffer): LineIndex {
  const starts = lineStarts(data);
  const lineOf = (offset: number): number => lineOfOffset(starts, offset);
  return {
    position(offset) {
      const line = lineOf(offset);
      const start = starts[line]!;
      // Decode only the line's prefix: columns count characters, not bytes.
      const column = data.toString('utf8', start, offset).length + 1;
      return { line: line + 1, column };
    },
    lineText(offset) {
      const line = lineOf(offset);
      const start = starts[line]!;
      let end = line + 1 < starts.length ? starts[line + 1]! - 1 : data.length;
      if (end > start && data[end - 1] === 13) end--;
      return data.toString('utf8', start, end);
    },
  };
}
