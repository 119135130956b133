import type { Role } from './types.ts';

export type Area = 'work' | 'books' | 'money' | 'approvals' | 'system';

export interface MenuItem {
  path: string;
  area: Area;
  key:
    | 'home'
    | 'queue'
    | 'accounts'
    | 'batches'
    | 'clients'
    | 'paymentClaims'
    | 'paymentFiles'
    | 'reversals'
    | 'approvals'
    | 'users'
    | 'teams'
    | 'audit'
    | 'compliance'
    | 'risk'
    | 'strategies'
    | 'workspace'
    | 'allocation'
    | 'measures';
  roles: Role[];
}

const everyone: Role[] = ['admin', 'supervisor', 'agent', 'finance', 'compliance', 'client'];
const staff: Role[] = ['admin', 'supervisor', 'agent', 'finance', 'compliance'];

/** The left menu by area; each item is shown to the roles that may use it (the server checks again). */
export const menuItems: MenuItem[] = [
  { path: '/', area: 'work', key: 'home', roles: everyone },
  { path: '/queue', area: 'work', key: 'queue', roles: ['agent', 'supervisor', 'admin'] },
  { path: '/workspace', area: 'work', key: 'workspace', roles: ['agent', 'supervisor'] },
  { path: '/accounts', area: 'books', key: 'accounts', roles: everyone },
  { path: '/batches', area: 'books', key: 'batches', roles: ['admin', 'supervisor', 'finance', 'client'] },
  { path: '/clients', area: 'books', key: 'clients', roles: staff },
  {
    path: '/payment-claims',
    area: 'money',
    key: 'paymentClaims',
    roles: ['agent', 'finance', 'supervisor', 'admin'],
  },
  { path: '/payment-files', area: 'money', key: 'paymentFiles', roles: ['finance'] },
  { path: '/reversals', area: 'money', key: 'reversals', roles: ['finance'] },
  { path: '/approvals', area: 'approvals', key: 'approvals', roles: ['supervisor', 'finance', 'admin'] },
  { path: '/users', area: 'system', key: 'users', roles: ['admin'] },
  { path: '/teams', area: 'system', key: 'teams', roles: ['admin'] },
  { path: '/audit', area: 'system', key: 'audit', roles: ['compliance', 'admin'] },
  { path: '/compliance', area: 'system', key: 'compliance', roles: ['compliance', 'admin', 'supervisor'] },
  { path: '/risk', area: 'work', key: 'risk', roles: ['supervisor', 'compliance', 'admin'] },
  { path: '/strategies', area: 'work', key: 'strategies', roles: ['supervisor', 'admin'] },
  { path: '/allocation', area: 'work', key: 'allocation', roles: ['supervisor', 'admin'] },
  { path: '/measures', area: 'work', key: 'measures', roles: ['supervisor', 'admin', 'finance', 'client'] },
];

export const areas: Area[] = ['work', 'books', 'money', 'approvals', 'system'];
