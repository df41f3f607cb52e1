-- reserved: filled in by its area; keep the number so migrations have no gaps.
SELECT 1;
