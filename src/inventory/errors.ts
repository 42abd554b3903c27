/**
 * A problem with an inventory file the user named (missing, not a database, someone else's database, from
 * a newer sprawl). The message names the file; the CLI prints it and exits 2, without a stack trace.
 */
export class InventoryError extends Error {}
