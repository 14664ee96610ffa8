-- One account per person (issue 22): a second phone account must never be linked to a person
-- another account already holds. NULLs (staff, residents not yet registered) stay distinct.
CREATE UNIQUE INDEX accounts_person_unique ON accounts (person_id);
