import { NotAllowedError } from './errors.js';

/** Who is acting, for which institution. Domain functions that touch storage take it first. */
export type Role = 'admin' | 'analyst' | 'auditor' | 'member-connector' | 'supervisor';

export interface Actor {
  readonly id: string;
  readonly kind: 'user' | 'token' | 'system';
  readonly roles: readonly Role[];
}

export interface RequestContext {
  readonly actor: Actor;
  readonly tenant: string;
}

/** The actor used by local CLI jobs and the composition root. */
export const SYSTEM_ACTOR: Actor = Object.freeze({ id: 'system', kind: 'system', roles: ['admin'] as const });

export function systemContext(tenant = 'local'): RequestContext {
  return { actor: SYSTEM_ACTOR, tenant };
}

/** Throws NotAllowedError unless the actor holds one of `roles` (admin holds every role). */
export function requireRole(ctx: RequestContext, ...roles: Role[]): void {
  if (ctx.actor.roles.includes('admin') || ctx.actor.roles.some((r) => roles.includes(r))) return;
  throw new NotAllowedError('ROLE_REQUIRED', `${ctx.actor.id} needs the role ${roles.join(' or ')} for this`);
}
