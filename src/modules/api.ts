// The contract between the bouncer core and a network module (modules/<name>/index.ts).
// A module is loaded once per network of a user; everything here is scoped to that network.
// The core knows nothing of any particular module; a module imports only this file (and its own libraries).

import type { Logger } from 'pino';

/**
 * What a hook tells the core: pass the (possibly rewritten) line on, or stop it (ZNC's CONTINUE / HALT).
 * `handled` (outgoing hooks): the module has sent the message itself (e.g. encrypted, through
 * sendToNetwork); the core does not send the line but shows `ev.text` to the user's other clients (and to
 * the sending client with echo-message) exactly as for a message it sent. Incoming, `handled` is `halt`.
 */
export type HookResult = 'continue' | 'halt' | 'handled';

/** A private or channel message travelling through the bouncer, in either direction. */
export interface MessageEvent {
  /** PRIVMSG, NOTICE, or ACTION (a CTCP ACTION; `text` is the action text without the \x01ACTION wrapper). */
  kind: 'privmsg' | 'notice' | 'action';
  /** Outgoing: the recipient (nick or channel). Incoming: our own nick or the channel. */
  target: string;
  /** Incoming: the sender. Outgoing: our own nick. */
  nick: string;
  ident: string;
  hostname: string;
  /** The message body. A hook may replace it to rewrite the line. */
  text: string;
  /** IRCv3 message tags of the line (incoming: from the network; outgoing: from the client). */
  tags: Record<string, string>;
  /** When the line arrived, ms since the epoch. */
  time: number;
  /** True when `target` is a channel (per the network's CHANTYPES). */
  isChannel: boolean;
}

export interface PeerQuitEvent {
  nick: string;
  ident: string;
  hostname: string;
  message: string;
}

export interface NickChangeEvent {
  oldNick: string;
  newNick: string;
  /** True when it is our own nick that changed. */
  own: boolean;
}

/** Nick comparison following the network's CASEMAPPING (rfc1459 by default). */
export interface Casemapping {
  lower(name: string): string;
  equal(a: string, b: string): boolean;
}

/** Our own prefix as the network relays our lines: `:nick!ident@hostname`. */
export interface OwnPrefix {
  nick: string;
  ident: string;
  hostname: string;
}

export interface ModuleCommand {
  /** Lower-case command name; matched case-insensitively. */
  name: string;
  /** Argument synopsis shown by `help`, e.g. `<nick> [question] <secret>`. */
  args: string;
  /** One line of help. */
  help: string;
  /** `rest` is everything after the command name, leading spaces removed, otherwise untouched. */
  run(rest: string): void | Promise<void>;
}

/** A line sent to the clients as if the network had sent it. */
export interface ClientMessage {
  kind: 'privmsg' | 'notice' | 'action';
  nick: string;
  ident: string;
  hostname: string;
  target: string;
  text: string;
  tags?: Record<string, string>;
  /** ms since the epoch; defaults to now. Shown through server-time / playback. */
  time?: number;
}

/** What the core gives a module instance. */
export interface ModuleContext {
  readonly userName: string;
  readonly networkName: string;
  /** The module's virtual nick, e.g. `*otr`. */
  readonly virtualNick: string;
  /** Per-network storage directory of this module, created with mode 0700. */
  readonly storageDir: string;
  readonly logger: Logger;

  /** Atomically write a file in storageDir (temp file, fsync, rename) with mode 0600. */
  writeFileAtomic(name: string, data: string | Uint8Array): Promise<void>;

  ownNick(): string;
  /** Our prefix as the network relays it; undefined until known (before registration or WHO/host is seen). */
  ownPrefix(): OwnPrefix | undefined;
  isConnected(): boolean;
  /** Number of clients attached to this network now. */
  clientCount(): number;
  casemapping(): Casemapping;
  isChannel(name: string): boolean;

  /** Register a command of the virtual nick; `help` is generated from the registered commands. */
  registerCommand(cmd: ModuleCommand): void;
  // In the three below, each line of `text` (CR, LF or CRLF) becomes a message of its own and NUL shows as
  // U+FFFD: no text can add a protocol line. A target or prefix part that is not one IRC token is a bug;
  // the message is dropped and logged.

  /** Send a line from the virtual nick to the user's clients; kept in memory while none is attached. */
  reply(text: string): void;

  /** Send a message to the network as if the user sent it, bypassing every module hook. */
  sendToNetwork(kind: 'privmsg' | 'notice' | 'action', target: string, text: string): void;
  /** Deliver a message to the clients as if the network had sent it (goes to playback when none is attached). */
  deliverToClients(msg: ClientMessage): void;
}

/** Hooks a module may implement. All are optional; message hooks are synchronous and run in load order. */
export interface NetworkModule {
  /** Client → network message to a nick or channel (PRIVMSG, NOTICE, CTCP ACTION). */
  onOutgoingMessage?(ev: MessageEvent): HookResult;
  /** Network → clients message (PRIVMSG, NOTICE, CTCP ACTION). */
  onIncomingMessage?(ev: MessageEvent): HookResult;
  onPeerQuit?(ev: PeerQuitEvent): void;
  /** A nick change, of a peer or our own. */
  onNickChange?(ev: NickChangeEvent): void;
  onClientAttach?(): void;
  onClientDetach?(): void;
  onConnected?(): void;
  onDisconnected?(): void;
  /** Bouncer shutdown or network removal: awaited (bounded by the core) before QUIT is sent. */
  onShutdown?(): Promise<void> | void;
  /** The module is being unloaded (unloadmod, network deleted, shutdown after onShutdown). */
  onUnload?(): Promise<void> | void;
}

/** The default export of modules/<name>/index.ts. */
export interface ModuleDefinition {
  name: string;
  description: string;
  create(ctx: ModuleContext): NetworkModule | Promise<NetworkModule>;
}
