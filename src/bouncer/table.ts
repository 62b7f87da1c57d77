// Tables for virtual-nick replies (help, listnetworks, …): cli-table3 without colours, one IRC line per row,
// drawn in ASCII as ZNC draws them: box-drawing characters need a Unicode font and a UTF-8 client, and
// some clients (mIRC with a legacy font, a Latin-1 terminal) show them as garbage.
import Table from 'cli-table3';
import { minimatch } from 'minimatch';

export const ASCII_BORDERS = {
  top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+',
  bottom: '-', 'bottom-mid': '+', 'bottom-left': '+', 'bottom-right': '+',
  left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+', right: '|', 'right-mid': '+', middle: '|',
};

export function table(head: string[], rows: string[][]): string {
  const t = new Table({ head, chars: ASCII_BORDERS, style: { head: [], border: [], compact: true } });
  for (const r of rows) t.push(r);
  return t.toString();
}

/** The `help [filter]` reply: rows are [name, args, description]; the filter (ZNC's) is a name prefix or a wildcard. */
export function helpTable(rows: string[][], filter = ''): string {
  const f = filter.toLowerCase();
  const shown = f ? rows.filter((r) => r[0]!.startsWith(f) || minimatch(r[0]!, f, { nocase: true })) : rows;
  if (shown.length === 0) return `No command matches "${filter}". Usage: help [filter]`;
  return table(['Command', 'Arguments', 'Description'], shown);
}
