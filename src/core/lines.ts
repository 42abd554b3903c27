import type { Position } from './types.js';

/**
 * Turns byte offsets into line/column once, when reporting. Built lazily per chunk, and only for
 * chunks that have findings: most chunks never need it.
 */
export interface LineIndex {
  /** Lines from 1, columns from 1 in UTF-16 code units. `offset` is a byte offset into the data. */
  position(offset: number): Position;
  /** The text of the line holding `offset`, without its newline; '' for a line over MAX_LINE_TEXT bytes
   * (minified code), which no caller wants whole. */
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

const MAX_LINE_TEXT = 8192;

export function buildLineIndex(data: Buffer): LineIndex {
  const starts = lineStarts(data);
  const lineOf = (offset: number): number => lineOfOffset(starts, offset);
  // The last column computed: the next offset on the same line decodes only the bytes since. Matches come
  // in order, and a minified bundle's one line holds thousands of them; from the line start each time,
  // that was quadratic in the line's length.
  let last = { line: -1, offset: 0, column: 1 };
  return {
    position(offset) {
      const line = lineOf(offset);
      const from = last.line === line && last.offset <= offset ? last : { line, offset: starts[line]!, column: 1 };
      // Columns count characters (UTF-16 code units), not bytes.
      const column = from.column + data.toString('utf8', from.offset, offset).length;
      last = { line, offset, column };
      return { line: line + 1, column };
    },
    lineText(offset) {
      const line = lineOf(offset);
      const start = starts[line]!;
      let end = line + 1 < starts.length ? starts[line + 1]! - 1 : data.length;
      if (end - start > MAX_LINE_TEXT) return '';
      if (end > start && data[end - 1] === 13) end--;
      return data.toString('utf8', start, end);
    },
  };
}
