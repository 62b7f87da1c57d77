// RPL_ISUPPORT (005) tokens of a network: kept raw for replay to clients, parsed for what the bouncer needs.
import { casemapping } from './casemapping.ts';
import type { Casemapping } from '../modules/api.ts';

export class ISupport {
  /** Tokens in arrival order, e.g. `CHANTYPES=#&`, `-EXCEPTS` removals applied. */
  tokens: string[] = [];
  casemapping: Casemapping = casemapping('rfc1459');
  chantypes = '#&';
  /** Mode letters and their prefix symbols, highest first. */
  prefixModes = 'ov';
  prefixSymbols = '@+';
  chanmodes: [string, string, string, string] = ['beI', 'k', 'l', 'imnpst'];

  reset(): void {
    this.tokens = [];
    this.casemapping = casemapping('rfc1459');
    this.chantypes = '#&';
    this.prefixModes = 'ov';
    this.prefixSymbols = '@+';
    this.chanmodes = ['beI', 'k', 'l', 'imnpst'];
  }

  /** Apply the parameters of one 005 line (without the target nick and the trailing text). */
  add(params: string[]): void {
    for (const tok of params) {
      if (!tok) continue;
      const neg = tok.charCodeAt(0) === 45;
      const name = (neg ? tok.slice(1) : tok).split('=')[0]!.toUpperCase();
      this.tokens = this.tokens.filter((t) => t.split('=')[0]!.toUpperCase() !== name);
      if (neg) continue;
      this.tokens.push(tok);
      const value = tok.includes('=') ? tok.slice(tok.indexOf('=') + 1) : '';
      switch (name) {
        case 'CASEMAPPING':
          this.casemapping = casemapping(value.toLowerCase());
          break;
        case 'CHANTYPES':
          this.chantypes = value;
          break;
        case 'PREFIX': {
          const m = /^\(([^)]*)\)(.*)$/.exec(value);
          if (m && m[1]!.length === m[2]!.length) {
            this.prefixModes = m[1]!;
            this.prefixSymbols = m[2]!;
          }
          break;
        }
        case 'CHANMODES': {
          const p = value.split(',');
          this.chanmodes = [p[0] ?? '', p[1] ?? '', p[2] ?? '', p[3] ?? ''];
          break;
        }
      }
    }
  }

  isChannel(name: string): boolean {
    return name.length > 0 && this.chantypes.indexOf(name[0]!) >= 0;
  }

  /** Whether a channel mode letter takes a parameter when set (+) or unset (-). */
  modeHasParam(mode: string, adding: boolean): boolean {
    if (this.prefixModes.includes(mode)) return true;
    const [a, b, c] = this.chanmodes;
    if (a.includes(mode) || b.includes(mode)) return true;
    return adding && c.includes(mode);
  }

  /** 005 lines for a client: at most 13 tokens each. */
  lines(): string[][] {
    const out: string[][] = [];
    for (let i = 0; i < this.tokens.length; i += 13) out.push(this.tokens.slice(i, i + 13));
    return out;
  }
}
