// Tables for virtual-nick replies (help, listnetworks, …): cli-table3 without colours, one IRC line per row.
import Table from 'cli-table3';

export function table(head: string[], rows: string[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const r of rows) t.push(r);
  return t.toString();
}

export function helpTable(rows: string[][]): string {
  return table(['Command', 'Arguments', 'Description'], rows);
}
