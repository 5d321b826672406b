export { ROLE_COMPONENTS, roleNames } from './names';
export type { RoleComponent, RoleNames } from './names';
export { GRANTEES, PROJECTOR_TABLES, TABLE_GRANTS, grantStatements } from './privileges';
export type { Grantee, Privilege } from './privileges';
export { applyGrants, rolesPresent } from './apply-grants';
export { ensureRoles } from './create-roles';
export type { RolesOptions, RolesReport } from './create-roles';
export { scramVerifier } from './scram';
