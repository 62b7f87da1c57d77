// A small IRC line parser for test assertions (tags, prefix, command, params).

export interface ParsedLine {
  tags: Record<string, string>;
  /** `nick!ident@host` or a server name, without the colon; '' when absent. */
  prefix: string;
  nick: string;
  command: string;
  params: string[];
  raw: string;
}

function unescapeTag(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => ({ ':': ';', s: ' ', r: '\r', n: '\n', '\\': '\\' })[c] ?? c);
}

export function parseLine(raw: string): ParsedLine {
  let rest = raw;
  const tags: Record<string, string> = {};
  if (rest.startsWith('@')) {
    const sp = rest.indexOf(' ');
    for (const kv of rest.slice(1, sp < 0 ? undefined : sp).split(';')) {
      if (kv === '') continue;
      const eq = kv.indexOf('=');
      if (eq < 0) tags[kv] = '';
      else tags[kv.slice(0, eq)] = unescapeTag(kv.slice(eq + 1));
    }
    rest = sp < 0 ? '' : rest.slice(sp + 1).trimStart();
  }
  let prefix = '';
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    prefix = rest.slice(1, sp < 0 ? undefined : sp);
    rest = sp < 0 ? '' : rest.slice(sp + 1).trimStart();
  }
  const params: string[] = [];
  let command = '';
  while (rest.length > 0) {
    if (rest.startsWith(':') && command !== '') {
      params.push(rest.slice(1));
      break;
    }
    const sp = rest.indexOf(' ');
    const word = sp < 0 ? rest : rest.slice(0, sp);
    if (command === '') command = word.toUpperCase();
    else params.push(word);
    rest = sp < 0 ? '' : rest.slice(sp + 1).trimStart();
  }
  const bang = prefix.indexOf('!');
  return { tags, prefix, nick: bang < 0 ? prefix : prefix.slice(0, bang), command, params, raw };
}
