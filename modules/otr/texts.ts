// Every line the OTR module shows the user, in one place. Shapes follow ZNC's otr module
// (seed 004), with its typos, missing periods and broken colour codes (B1, B10) fixed.
// Formatting: \x02 bold on/off (always paired), \x03 + two digits for colour, \x03 alone to end it.

const B = '\x02';
const RED = '\x0304';
const END_COLOUR = '\x03';

export const bold = (s: string): string => `${B}${s}${B}`;
const warning = `${RED}WARNING:${END_COLOUR}`;

/** `[bob] text`: every line tied to one peer. */
export const peerLine = (nick: string, text: string): string => `[${nick}] ${text}`;

export const T = {
  // ── load time ──
  securityNote: [
    `${warning} OTR encryption ends at this bouncer, not at your IRC client. Whoever runs the bouncer (its admin, root on the machine, the host of the VM) can read your private key and your conversations.`,
    'Connect to the bouncer over TLS, and turn off logging in your IRC client. Decrypted messages are kept in memory only, never written to disk.',
  ],
  noKeyYet: `No private key yet. One is generated the first time it is needed, or type ${bold('genkey')} now.`,

  // ── generic usage errors (the caller appends the synopsis) ──
  usage: (name: string, args: string): string => `Usage: ${name}${args ? ' ' + args : ''}`,
  missingNick: 'No nick given.',
  tooManyArgs: 'Too many arguments.',
  notANick: (s: string): string => `"${s}" is not a nick.`,
  channelNotAllowed: (s: string): string => `${s} is a channel; OTR works only in private conversations.`,
  unknownOption: (opt: string): string => `Unknown option ${opt}.`,

  // ── info ──
  infoNoFingerprints: 'No fingerprints known yet.',
  yourFingerprint: (fp: string): string => `Your fingerprint: ${fp}.`,
  yourFingerprintNone: `Your fingerprint: none yet (no private key; type ${bold('genkey')} or start a conversation).`,
  yourFingerprintGenerating: 'Your fingerprint: not yet known, the private key is being generated.',
  trustNames: { none: 'not trusted', manual: 'manual', smp: 'shared secret' } as const,

  // ── trust / distrust ──
  fingerprintNotFound: (arg: string): string => `No known fingerprint or OTR conversation for "${arg}". Give a nick or a 40-digit fingerprint (see info).`,
  ownFingerprint: 'That is your own fingerprint; only peers\' fingerprints can be trusted.',
  noActiveFingerprint: (nick: string): string => `No active fingerprint: no encrypted conversation with ${nick}. Give the fingerprint instead (see info).`,
  trusted: (fp: string): string => `Fingerprint ${fp} trusted!`,
  alreadyTrusted: (fp: string): string => `Fingerprint ${fp} is already trusted.`,
  distrusted: (fp: string): string => `Fingerprint ${fp} distrusted!`,
  alreadyDistrusted: (fp: string): string => `Fingerprint ${fp} was not trusted.`,

  // ── finish / start ──
  finished: 'Conversation finished.',
  finishedPlaintext: (nick: string): string => `Messages to ${nick} are now sent in plaintext.`,
  nothingToFinish: (nick: string): string => `No OTR conversation with ${nick}; nothing to finish.`,
  queueDiscarded: (n: number): string => `${n} waiting message${n === 1 ? ' was' : 's were'} discarded.`,
  starting: (nick: string): string => `Starting an OTR session with ${nick}...`,
  refreshing: (nick: string): string => `Refreshing the OTR session with ${nick}...`,
  disabledFor: (nick: string, list: 'ignore' | 'enable', pattern?: string): string =>
    list === 'ignore'
      ? `OTR is disabled for ${nick} (ignore list: ${pattern}). Type ${bold(`ignore --remove ${pattern}`)} first.`
      : `OTR is disabled for ${nick}: no pattern of the enable list matches. Type ${bold(`enable ${nick}`)} first.`,

  // ── auth / authq / authabort ──
  notEncrypted: (nick: string): string => `Not in an encrypted conversation with ${nick}. Type ${bold(`start ${nick}`)} first.`,
  noSecret: 'No secret given.',
  noQuestion: 'No question found. Did you enclose it in square brackets?',
  closingBracketMissing: 'Closing bracket missing for the question.',
  emptyQuestion: 'The question is empty.',
  authInitiated: 'Initiated authentication.',
  authResponded: 'Responded to authentication.',
  authAlreadyRunning: (nick: string): string => `Authentication already in progress. Wait for it, or type ${bold(`authabort ${nick}`)} first.`,
  authPendingAnswer: (nick: string): string => `${nick} asked to authenticate. Answer with ${bold(`auth ${nick} <secret>`)}, or type ${bold(`authabort ${nick}`)}.`,
  authAborted: 'Authentication aborted.',
  noAuthInProgress: 'No authentication in progress.',

  // ── genkey ──
  keyExists: (fp: string): string => `You already have a private key (${fp}). Type ${bold('genkey --overwrite')} to replace it.`,
  keygenRunning: 'Key generation is already running.',
  keygenStarted: 'Generating a new private key in the background. Messages keep flowing meanwhile.',
  keygenStartedAuto: 'Generating your private key in the background (first use). OTR messages wait until it is ready.',
  keygenFinished: (fp: string): string => `Key generation finished. Your fingerprint: ${fp}.`,
  keygenOverwriteNote: 'Running conversations keep the old key; new sessions use the new one.',
  keygenFailed: (why: string): string => `Key generation failed: ${why}`,

  // ── ignore / enable ──
  listHeader: (list: 'ignore' | 'enable'): string =>
    list === 'ignore' ? 'OTR is disabled for these nicks:' : 'OTR is enabled for these nicks:',
  listEmpty: (list: 'ignore' | 'enable'): string =>
    list === 'ignore' ? 'The OTR ignore list is empty.' : 'The OTR enable list is empty: OTR is disabled for every nick.',
  listAdded: (p: string, list: string): string => `Added ${bold(p)} to the OTR ${list} list.`,
  listAlready: (p: string, list: string): string => `${bold(p)} is already on the OTR ${list} list.`,
  listRemoved: (p: string, list: string): string => `Removed ${bold(p)} from the OTR ${list} list.`,
  listNotOn: (p: string, list: string): string => `${bold(p)} is not on the OTR ${list} list.`,
  listBadPattern: (p: string): string => {
    // Shown safely: control characters visible, a long pattern cut (the line must stay one IRC line).
    const shown = p.replace(/[\x00-\x1f\x7f]/g, '\ufffd');
    return `"${shown.length > 40 ? shown.slice(0, 37) + '...' : shown}" is not a valid nick pattern (at most 100 characters; no spaces, commas or control characters).`;
  },
  sessionEndedDisabled: (nick: string): string => `OTR is now disabled for ${nick}: the encrypted conversation was finished and ${nick} was told.`,

  // ── events ──
  goneSecure: (verified: boolean): string =>
    `Gone ${bold('SECURE')}${verified ? '' : ' (not verified)'}. Please make sure logging is turned off on your IRC client.`,
  stillSecure: (byUs: boolean): string => `Still ${bold('SECURE')} (restarted by ${byUs ? 'us' : 'peer'}).`,
  notAuthenticated: 'Peer is not authenticated. There are two ways of verifying their identity:',
  verifySecret: (nick: string): string => `1. Agree on a common secret (do not type it into the chat), then type ${bold(`auth ${nick} <secret>`)}.`,
  verifyFingerprint: (nick: string): string => `2. Compare their fingerprint over a secure channel, then type ${bold(`trust ${nick}`)}.`,
  ourFp: (fp: string): string => `Your fingerprint:  ${bold(fp)}`,
  theirFp: (fp: string): string => `Their fingerprint: ${bold(fp)}`,
  peerFinished: (nick: string): string =>
    `${nick} has finished the conversation. Type ${bold(`finish ${nick}`)} to talk in plaintext, or ${bold(`start ${nick}`)} for a new OTR session.`,
  newFingerprint: (nick: string, fp: string): string => `New fingerprint for ${nick}: ${fp}`,
  smpAsked: (nick: string): string => `${nick} wants to authenticate. To complete, type ${bold(`auth ${nick} <secret>`)}.`,
  smpAskedQuestion: (nick: string): string => `${nick} wants to authenticate. To complete, answer the following question:`,
  smpAnswerHint: (nick: string): string => `Answer by typing ${bold(`auth ${nick} <answer>`)}.`,
  smpReplied: 'Peer replied to authentication request.',
  smpSuccess: 'Successfully authenticated.',
  smpSuccessTrusted: (fp: string): string => `Fingerprint ${fp} is now trusted (shared secret).`,
  smpFailure: 'Authentication failed: the secrets did not match.',
  smpTrustDropped: (fp: string): string => `Fingerprint ${fp} is no longer trusted; verify it again before trusting it.`,
  smpCheated: 'Authentication failed: the peer sent an invalid reply.',
  smpAbortedByPeer: 'Peer aborted the authentication.',
  smpError: (why: string): string => `Authentication error: ${why}.`,
  receivedUnencrypted: 'The last message from this peer was not encrypted although the conversation is.',
  notEncryptedMark: `${RED}[NOT ENCRYPTED]${END_COLOUR}`,
  unreadable: (nick: string): string =>
    `Received an encrypted message that could not be read (the session was lost). Type ${bold(`start ${nick}`)} for a new OTR session.`,
  errorFromPeer: (msg: string): string => `OTR error from peer: ${msg}`,
  /** Sent to the peer (an OTR error message, as libotr's "not in private"). */
  unreadableErrorToPeer: (ourNick: string): string => `?OTR Error: You sent encrypted data to ${ourNick}, who wasn't expecting it.`,
  malformed: 'Received a malformed OTR message; it was discarded.',
  queuedSent: (n: number): string => `${n} waiting message${n === 1 ? '' : 's'} sent encrypted.`,
  queuedDropped: (n: number, why: string): string => `${n} waiting message${n === 1 ? ' was' : 's were'} not sent: ${why}.`,
  queued: 'Message kept until the OTR session is up; it is sent encrypted then.',
  keyFileProblem: (what: string): string => `Could not use ${what}; continuing without it. The file is kept: before anything replaces it, it is renamed aside.`,
  fileSetAside: (name: string, aside: string): string => `${name} could not be read, so it was renamed to ${aside} before being replaced.`,
  saveFailed: (what: string, why: string): string => `Could not save ${what}: ${why}`,
  settingsProblem: (why: string): string => `settings.json ${why}; using the defaults for the rest.`,
  ownKeyChanged: 'Your private key changed since this conversation started; it keeps the old key until restarted.',
  queueFull: 'Message not sent: too many messages are waiting for the OTR session.',
  startNoAnswer: (nick: string): string =>
    `No OTR session with ${nick} came up (their client may have no OTR, or the exchange stalled). Type ${bold(`start ${nick}`)} to try again, or ${bold(`finish ${nick}`)} to talk in plaintext.`,
  startFailed: (nick: string): string => `No OTR session with ${nick} came up; waiting messages were not sent. Type ${bold(`start ${nick}`)} to try again.`,
  noKeyForPeer: 'Someone wants to start an OTR session; your private key is being generated, the session starts when it is ready.',
  ignoredOtrLine: (nick: string, pattern: string): string =>
    `${nick} sent an OTR message, but OTR is disabled for ${nick} (${pattern}); it was not shown.`,

  // ── refused sends ──
  refusedFinished: (nick: string): string =>
    `Message not sent: ${nick} has ended the private conversation. Type ${bold(`finish ${nick}`)} to talk in plaintext, or ${bold(`start ${nick}`)} for a new OTR session.`,
  refusedNoSession: (nick: string): string =>
    `Message not sent: encryption is required and there is no OTR session with ${nick} yet. It is being started.`,
  refusedFingerprintChanged: (nick: string): string =>
    `Message not sent: ${nick}'s fingerprint changed since it was written. Check it (see info), then send again.`,
  refusedEnded: (nick: string, why: string): string =>
    `Message not sent: the encrypted conversation with ${nick} ended (${why}). Type ${bold(`start ${nick}`)} for a new OTR session, or ${bold(`finish ${nick}`)} to talk in plaintext.`,
  refusedNotice: 'Notice not sent: notices cannot be encrypted; use a normal message in this conversation.',
  endReason: {
    quit: 'peer quit',
    nick: 'nick change',
    ownNick: 'your nick changed',
    lost: 'session lost',
    error: 'OTR error',
    disconnected: 'disconnected from the network',
    timeout: 'no OTR session came up',
    unload: 'the OTR module was unloaded',
  } as const,
  sessionEnded: (nick: string, why: string): string => `OTR session with ${nick} ended (${why}).`,
  nickMoved: (oldNick: string, newNick: string): string =>
    `${oldNick} is now ${newNick}. Messages to ${oldNick} or ${newNick} are refused until you type ${bold(`start <nick>`)} or ${bold(`finish <nick>`)} for that nick.`,
};

export type EndReason = keyof typeof T.endReason;
