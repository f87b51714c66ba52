/**
 * lakekit/kafka — placeholder module; its features arrive with the issue that owns them.
 */
export const MODULE = 'lakekit/kafka' as const;
