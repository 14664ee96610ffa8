-- A department list's additions carry where they came from (which list, which line, the
-- list's adjustment date) on the certification itself. The history shows this as the
-- 'list_add' step; one event row per addition doubled the rows a million-row list writes.
-- No foreign key on import_id: the apply writes it in the transaction that marks the
-- import applied, imports are never deleted, and the check would re-read the same import
-- row once per certification. List additions leave submitted_by_account_id NULL: the
-- import records who uploaded it.
ALTER TABLE certifications ADD COLUMN import_id BIGINT;
ALTER TABLE certifications ADD COLUMN import_line BIGINT;
ALTER TABLE certifications ADD COLUMN listed_on DATE;

-- Stored lists compress with lz4 where the server has it: pglz took about a second for a
-- 90 MB file in the dry run.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE adjustment_imports ALTER COLUMN body SET COMPRESSION lz4;
    END IF;
END $$;

-- Set-based reference checks for the two references a department's list writes a million
-- of. A declarative foreign key checks (and locks) the referenced row once per inserted row:
-- measured on 2 cores, 2.8 s per million people for their area and 3 to 4 s per million
-- certifications for their person, a quarter of the list's 30 s budget. These triggers check
-- a statement's new rows at once. What the foreign keys also did is kept: a referenced area
-- or person cannot be deleted or re-keyed. Against a concurrent delete, the areas a
-- statement names are locked FOR KEY SHARE once each, as the foreign key would; people are
-- not locked one by one (that lock, written to the WAL per row, was most of the cost):
-- instead deleting a person first takes a SHARE lock on certifications, which waits for
-- every transaction inserting certifications to finish, and then sees their rows. Nothing in
-- the application deletes people. This reasoning holds at READ COMMITTED, the application's
-- isolation level, where each check takes a fresh snapshot (under SERIALIZABLE the
-- predicate locks catch the same conflicts; a REPEATABLE READ transaction deleting an area or
-- a person could miss a row committed after its snapshot). Like any user trigger, the checks
-- are off with DISABLE TRIGGER USER or session_replication_role = replica (the generator's
-- bulk load, whose rows are consistent by construction). SQLite keeps its declarative keys.
ALTER TABLE people DROP CONSTRAINT people_area_code_fkey;
ALTER TABLE certifications DROP CONSTRAINT certifications_person_id_fkey;

CREATE FUNCTION people_area_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM areas a WHERE a.code IN (SELECT DISTINCT n.area_code FROM new_people n) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM new_people n WHERE n.area_code IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.code = n.area_code)) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "people" violates foreign key constraint "people_area_code_fkey"',
            CONSTRAINT = 'people_area_code_fkey', TABLE = 'people';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER people_area_inserted AFTER INSERT ON people REFERENCING NEW TABLE AS new_people
FOR EACH STATEMENT EXECUTE FUNCTION people_area_exists();

CREATE FUNCTION people_area_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM areas a WHERE a.code = NEW.area_code FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "people" violates foreign key constraint "people_area_code_fkey"',
            CONSTRAINT = 'people_area_code_fkey', TABLE = 'people';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER people_area_moved AFTER UPDATE OF area_code ON people
FOR EACH ROW WHEN (NEW.area_code IS NOT NULL AND NEW.area_code IS DISTINCT FROM OLD.area_code)
EXECUTE FUNCTION people_area_moved();

CREATE FUNCTION areas_keep_named() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.code IS DISTINCT FROM OLD.code)
       AND EXISTS (SELECT 1 FROM people p WHERE p.area_code = OLD.code) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'update or delete on table "areas" violates foreign key constraint "people_area_code_fkey" on table "people"',
            CONSTRAINT = 'people_area_code_fkey', TABLE = 'areas';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER areas_keep_named BEFORE DELETE OR UPDATE OF code ON areas
FOR EACH ROW EXECUTE FUNCTION areas_keep_named();

CREATE FUNCTION certifications_person_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_certifications n WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = n.person_id)) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "certifications" violates foreign key constraint "certifications_person_id_fkey"',
            CONSTRAINT = 'certifications_person_id_fkey', TABLE = 'certifications';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER certifications_person_inserted AFTER INSERT ON certifications
REFERENCING NEW TABLE AS new_certifications
FOR EACH STATEMENT EXECUTE FUNCTION certifications_person_exists();

CREATE FUNCTION certifications_person_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM people p WHERE p.id = NEW.person_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "certifications" violates foreign key constraint "certifications_person_id_fkey"',
            CONSTRAINT = 'certifications_person_id_fkey', TABLE = 'certifications';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER certifications_person_moved AFTER UPDATE OF person_id ON certifications
FOR EACH ROW WHEN (NEW.person_id IS DISTINCT FROM OLD.person_id)
EXECUTE FUNCTION certifications_person_moved();

CREATE FUNCTION people_keep_certified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id IS NOT DISTINCT FROM OLD.id THEN
        RETURN NEW;
    END IF;
    LOCK TABLE certifications IN SHARE MODE;
    IF EXISTS (SELECT 1 FROM certifications c WHERE c.person_id = OLD.id) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'update or delete on table "people" violates foreign key constraint "certifications_person_id_fkey" on table "certifications"',
            CONSTRAINT = 'certifications_person_id_fkey', TABLE = 'people';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER people_keep_certified BEFORE DELETE OR UPDATE OF id ON people
FOR EACH ROW EXECUTE FUNCTION people_keep_certified();
