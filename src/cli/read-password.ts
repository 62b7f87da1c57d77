// Reads a password: from a terminal without echo (raw mode), otherwise the first line of stdin.
import type { CliIo } from './context.ts';

export class InputAborted extends Error {}

/** The first line of a non-terminal stdin (without CR LF); undefined on empty input. */
export function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (line: string | undefined) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      resolve(line);
    };
    const onData = (chunk: string | Buffer) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl).replace(/\r$/, ''));
    };
    const onEnd = () => finish(buf === '' ? undefined : buf.replace(/\r$/, ''));
    const onError = (e: Error) => reject(e);
    stdin.setEncoding?.('utf8');
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
    stdin.resume();
  });
}

/** Typed-ahead input after a line's end (a pasted "pw\rpw\r"), kept for the next readHidden. */
let typedAhead = '';

/** Prompts on stderr and reads one line from the terminal without echoing it. */
export function readHidden(io: CliIo, prompt: string): Promise<string> {
  const { stdin, stderr } = io;
  return new Promise((resolve, reject) => {
    let value = '';
    let finished = false;
    stdin.setRawMode!(true); // before the prompt: what is typed after it is never echoed
    stderr.write(prompt);
    stdin.setEncoding?.('utf8');
    const done = (err?: Error) => {
      finished = true;
      stdin.setRawMode!(false);
      stdin.off('data', onData);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const feed = (chunk: string) => {
      const chars = [...chunk];
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === '\r' || ch === '\n') {
          // A CR LF pair is one line end.
          const next = ch === '\r' && chars[i + 1] === '\n' ? i + 2 : i + 1;
          typedAhead = chars.slice(next).join('');
          return done();
        }
        if (ch === '\u0003') return done(new InputAborted('interrupted'));
        if (ch === '\u0004') {
          if (value === '') return done(new InputAborted('no input'));
          return done();
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = ''; // Ctrl-U clears the line
        else if (ch >= ' ') value += ch;
      }
    };
    const onData = (chunk: string | Buffer) => feed(chunk.toString());
    if (typedAhead !== '') {
      const t = typedAhead;
      typedAhead = '';
      feed(t);
      if (finished) return;
    }
    stdin.on('data', onData);
    stdin.resume();
  });
}
