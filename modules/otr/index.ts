// The OTR network module: `modules: [otr]` in the config or `/msg *status loadmod otr`.
// One OTR account per network of a user (account name = user name, protocol "irc", as ZNC's
// otr module), stored in libotr's formats in the module's directory. See otr-module.ts.
import type { ModuleDefinition } from '../../src/modules/api.ts';
import { OtrAccount } from '../../src/otr/index.ts';
import { generateDsaKey } from '../../src/otr/keygen.ts';
import { createOtrModule } from './otr-module.ts';
import { FileStore } from './file-store.ts';
import { T } from './texts.ts';

const otr: ModuleDefinition = {
  name: 'otr',
  description: 'Off-the-Record encryption of private messages (/msg *otr help)',
  create(ctx) {
    return createOtrModule(ctx, {
      createAccount: (opts) => new OtrAccount(opts),
      store: new FileStore(ctx.storageDir, ctx.userName, (name, data) => ctx.writeFileAtomic(name, data), (name, aside) => {
        ctx.logger.warn({ file: name, renamedTo: aside }, 'otr: unreadable file renamed aside');
        ctx.reply(T.fileSetAside(name, aside));
      }),
      generateKey: generateDsaKey,
    });
  },
};

export default otr;
