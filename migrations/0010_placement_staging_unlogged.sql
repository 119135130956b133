-- Staged placement rows are written once by the import's COPY and read once by the approval (or
-- deleted by a rejection): write them without WAL. That spares the import about as much WAL as the
-- file's size and the approval the WAL of deleting them. A crash (not a clean shutdown) empties an
-- unlogged table: approval compares the staged count with the batch's accepted count and asks for
-- the file to be imported again when they differ. The batch rows themselves stay logged.
ALTER TABLE placement_rows SET UNLOGGED;
