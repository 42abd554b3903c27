import type { Report } from '../core/types.js';
import { formatJson } from './json.js';
import { formatHtml } from './html.js';
import { formatMarkdown } from './markdown.js';
import { formatSarif } from './sarif.js';
import { formatText } from './text.js';

export type FormatName = 'text' | 'json' | 'sarif' | 'markdown' | 'html';

/** Formatters by name: pure functions of the report. */
export const FORMATS: Record<FormatName, (report: Report, options: { color: boolean }) => string> = {
  text: formatText,
  json: (r) => formatJson(r),
  sarif: (r) => formatSarif(r),
  markdown: (r) => formatMarkdown(r),
  html: (r) => formatHtml(r),
};

/** `--output report.sarif` implies `--format sarif`, and so on. */
export function formatFromPath(path: string): FormatName | undefined {
  if (/\.sarif(\.json)?$/i.test(path)) return 'sarif';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.(md|markdown)$/i.test(path)) return 'markdown';
  if (/\.html?$/i.test(path)) return 'html';
  if (/\.(txt|log)$/i.test(path)) return 'text';
  return undefined;
}
