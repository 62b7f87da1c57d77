// The engine types the module works with, and the factory tests replace (glue tests build accounts
// with their own clock or keys).
import type { OtrAccount, OtrAccountOptions, OtrSession } from '../../src/otr/index.ts';

export type EngineSession = OtrSession;
export type EngineAccount = OtrAccount;
export type AccountOptions = OtrAccountOptions;
export type AccountFactory = (opts: AccountOptions) => EngineAccount;
