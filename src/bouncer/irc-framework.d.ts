// The small part of irc-framework (no bundled types) that the upstream connection uses.
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';
  class Client extends EventEmitter {
    constructor(options?: Record<string, unknown>);
    connection: unknown;
    connect(options: Record<string, unknown>): void;
    changeNick(nick: string): void;
    raw(line: string): void;
  }
  const IRC: { Client: typeof Client; ircLineParser(line: string): unknown };
  export default IRC;
}
