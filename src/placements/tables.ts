/** Kysely types of the tables this module's migrations add (merged into Database in src/db/schema.ts). */
export type PlacementTables = Record<never, never>;
