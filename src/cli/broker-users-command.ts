import { checkUserName, hashPassword, readUsers, writeUsers, type Users } from '../broker/users.js';
import { PipeError } from '../protocol/errors.js';
import { askHidden, firstLineOfStdin } from './ask-hidden.js';
import { usersFilePath } from './broker-options.js';
import { say } from './messages.js';

export type UserOperation = 'add' | 'remove' | 'list';

/** The new password: asked twice on a terminal, else the first line of standard input. */
async function readPassword(name: string): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await askHidden(`password for ${name}: `);
    if ((await askHidden('again: ')) !== first) throw new PipeError('the passwords differ; nothing changed');
    return first;
  }
  return firstLineOfStdin();
}

function save(path: string, users: Users): void {
  try {
    writeUsers(path, users);
  } catch (error) {
    throw new PipeError((error as Error).message);
  }
}

/** `skypipe broker user add|remove|list [NAME]`: manages the users file. A running broker picks changes up at the next login. */
export async function brokerUser(
  operation: UserOperation,
  name: string | undefined,
  usersFlag: string | undefined,
): Promise<number> {
  const path = usersFilePath(usersFlag);
  let users;
  try {
    users = readUsers(path);
  } catch (error) {
    throw new PipeError((error as Error).message);
  }
  if (operation === 'list') {
    process.stdout.write([...users.keys()].map((user) => `${user}\n`).join(''));
    return 0;
  }
  if (name === undefined) throw new PipeError(`'skypipe broker user ${operation}' needs a user name`, 'usage');
  try {
    checkUserName(name);
  } catch (error) {
    throw new PipeError((error as Error).message, 'usage');
  }
  if (operation === 'remove') {
    if (!users.delete(name)) throw new PipeError(`no user '${name}' in ${path}`);
    save(path, users);
    say(`removed user '${name}' from ${path}; connections open now stay until they close`);
    return 0;
  }
  const password = await readPassword(name);
  if (password === '') throw new PipeError('the password is empty; nothing changed');
  const existed = users.has(name);
  users.set(name, await hashPassword(password));
  save(path, users);
  say(`${existed ? 'changed the password of' : 'added'} user '${name}' in ${path}`);
  return 0;
}
