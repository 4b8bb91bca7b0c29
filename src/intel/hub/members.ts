import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, InputError, newId, requireRole, type RequestContext } from '../../core/index.js';
import { appendAudit, type Database } from '../../store/index.js';
import type { IntelTables } from '../schema.js';

export type IntelDb = Kysely<Database & IntelTables>;

export function intelDb(db: Kysely<Database>): IntelDb {
  return db.withTables<IntelTables>();
}

/** Who is asking, as the intel store sees it. */
export interface IntelPrincipal {
  /** Hub staff (admin, analyst) read everything; audit and supervision read what is open. */
  readonly staff: boolean;
  /** The hub member a connector token or Basic login stands for. */
  readonly member: string | null;
  /** The member's sharing groups. */
  readonly groups: readonly string[];
}

export interface HubMember {
  readonly name: string;
  readonly identityId: string;
  readonly createdAt: string;
  readonly groups: readonly string[];
}

const MEMBER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function scrypt(password: string, salt: Buffer, n: number): Promise<Buffer> {
  const opts: ScryptOptions = { N: n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password, salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

const SCRYPT_N = 1 << 14;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT_N);
  return `${SCRYPT_N}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [n, , , salt, hash] = stored.split('$');
  if (!n || !salt || !hash) return false;
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), Number(n));
  const want = Buffer.from(hash, 'base64url');
  return key.length === want.length && timingSafeEqual(key, want);
}

/** Adds a hub member with HTTP Basic credentials. The connector token is made by the caller. */
export async function addMember(db: Kysely<Database>, ctx: RequestContext, name: string, password: string, groups: readonly string[] = [], now = new Date()): Promise<HubMember> {
  requireRole(ctx, 'admin');
  if (!MEMBER_NAME.test(name)) throw new InputError('MEMBER_NAME_INVALID', `a member name is 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit; got '${name}'`, 'name');
  if (password.length < 12) throw new InputError('PASSWORD_TOO_SHORT', 'a member password needs at least 12 characters', 'password');
  const idb = intelDb(db);
  const taken = await idb.selectFrom('intel_members').select('name').where('tenant', '=', ctx.tenant).where('name', '=', name).executeTakeFirst();
  if (taken) throw new ConflictError('MEMBER_EXISTS', `a member named '${name}' exists`);
  const member: HubMember = { name, identityId: `identity--${newId()}`, createdAt: now.toISOString(), groups: [...new Set(groups)] };
  const password_hash = await hashPassword(password);
  await idb.transaction().execute(async (tx) => {
    await tx.insertInto('intel_members').values({ tenant: ctx.tenant, name, identity_id: member.identityId, password_hash, created_at: member.createdAt, disabled_at: null }).execute();
    for (const g of member.groups) await tx.insertInto('intel_group_members').values({ tenant: ctx.tenant, group_name: g, member: name }).execute();
    await appendAudit(tx as unknown as Kysely<Database>, ctx, { action: 'intel.member.add', target: `member:${name}`, detail: { identity: member.identityId, groups: member.groups } }, now);
  });
  return member;
}

export async function listMembers(db: Kysely<Database>, tenant: string): Promise<HubMember[]> {
  const idb = intelDb(db);
  const rows = await idb.selectFrom('intel_members').selectAll().where('tenant', '=', tenant).where('disabled_at', 'is', null).orderBy('name').execute();
  const groups = await idb.selectFrom('intel_group_members').selectAll().where('tenant', '=', tenant).execute();
  return rows.map((r) => ({ name: r.name, identityId: r.identity_id, createdAt: r.created_at, groups: groups.filter((g) => g.member === r.name).map((g) => g.group_name) }));
}

/**
 * Checks HTTP Basic credentials. A small cache keyed by the exact pair spares scrypt on
 * every request of a polling client; a wrong password is never cached.
 */
export class MemberPasswords {
  private readonly ok = new Map<string, number>();
  constructor(private readonly db: Kysely<Database>, private readonly tenant: string) {}

  async verify(name: string, password: string): Promise<boolean> {
    const key = `${name}\u0000${password}`;
    const until = this.ok.get(key);
    if (until !== undefined && until > Date.now()) return true;
    const row = await intelDb(this.db).selectFrom('intel_members').select(['password_hash', 'disabled_at']).where('tenant', '=', this.tenant).where('name', '=', name).executeTakeFirst();
    if (!row || row.disabled_at !== null || !(await passwordMatches(password, row.password_hash))) return false;
    if (this.ok.size > 1000) this.ok.clear();
    this.ok.set(key, Date.now() + 60_000);
    return true;
  }
}

/**
 * The principal behind a request: a member-connector token named after a member (as
 * `hub member add` makes it) or a Basic login (`member:NAME`) is that member; admin and
 * analyst are hub staff.
 */
export async function principalOf(db: Kysely<Database>, ctx: RequestContext): Promise<IntelPrincipal> {
  const roles = ctx.actor.roles;
  const staff = roles.includes('admin') || roles.includes('analyst');
  let member: string | null = null;
  if (!staff && roles.includes('member-connector')) {
    const name = ctx.actor.id.replace(/^(token|member):/, '');
    const row = await intelDb(db).selectFrom('intel_members').select('name').where('tenant', '=', ctx.tenant).where('name', '=', name).where('disabled_at', 'is', null).executeTakeFirst();
    member = row ? row.name : null;
  }
  const groups = member === null ? [] : (await intelDb(db).selectFrom('intel_group_members').select('group_name').where('tenant', '=', ctx.tenant).where('member', '=', member).execute()).map((r) => r.group_name);
  return { staff, member, groups };
}

/** Identity id → member name, for TLP:RED recipients named by identity. */
export async function membersByIdentity(db: Kysely<Database>, tenant: string): Promise<Map<string, string>> {
  const rows = await intelDb(db).selectFrom('intel_members').select(['name', 'identity_id']).where('tenant', '=', tenant).execute();
  return new Map(rows.map((r) => [r.identity_id, r.name]));
}
