// Rules for user, network and module names: they appear in `PASS user/network:password`, in data-dir
// paths and in `*status` commands, so they may not contain '/', ':', spaces or dots-only names.
export const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
export const MODULE_NAME_RE = /^[a-z0-9_][a-z0-9_-]{0,63}$/;

export function isValidName(name: string): boolean {
  return NAME_RE.test(name);
}

export const NAME_RULE = 'letters, digits, "_", "-" and "." (not first), at most 64 characters';
