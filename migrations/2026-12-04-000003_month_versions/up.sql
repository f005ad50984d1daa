-- Change tracking for the incremental ETL. One row per month that has had
-- sales; its version takes a new value from the sequence whenever a sale of
-- that month is inserted, updated or deleted, whatever the sale's date, so a
-- late sale for an old month is seen like any other.
--
-- The ETL records the versions it read in its run journal and, on the next
-- incremental run, recomputes the months whose version differs. Versions are
-- compared for equality only, never ordered: a transaction that took a lower
-- number but committed later still shows up as a difference.
--
-- Writers touching the same month wait for each other on its row until they
-- commit; rows are locked in month order, so two writers cannot deadlock here.

CREATE SEQUENCE ventes_mois_version_seq;

CREATE TABLE ventes_mois_version (
    mois    DATE   PRIMARY KEY CHECK (extract(day FROM mois) = 1),
    version BIGINT NOT NULL
);

CREATE FUNCTION ventes_mois_touch(months DATE[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ventes_mois_version AS v (mois, version)
    SELECT m, nextval('ventes_mois_version_seq')
    FROM (SELECT DISTINCT m FROM unnest(months) AS m ORDER BY m) AS sorted
    ON CONFLICT (mois) DO UPDATE SET version = excluded.version;
$$;

CREATE FUNCTION ventes_mois_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ventes_mois_touch(ARRAY(SELECT DISTINCT date_trunc('month', date_vente)::date FROM new_rows));
    RETURN NULL;
END
$$;

CREATE FUNCTION ventes_mois_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ventes_mois_touch(ARRAY(SELECT DISTINCT date_trunc('month', date_vente)::date FROM old_rows));
    RETURN NULL;
END
$$;

CREATE FUNCTION ventes_mois_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A sale moved to another month changes both months.
    PERFORM ventes_mois_touch(ARRAY(
        SELECT date_trunc('month', date_vente)::date FROM new_rows
        UNION
        SELECT date_trunc('month', date_vente)::date FROM old_rows));
    RETURN NULL;
END
$$;

CREATE FUNCTION ventes_mois_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ventes_mois_touch(ARRAY(SELECT mois FROM ventes_mois_version));
    RETURN NULL;
END
$$;

CREATE TRIGGER ventes_mois_after_insert AFTER INSERT ON ventes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ventes_mois_after_insert();
CREATE TRIGGER ventes_mois_after_delete AFTER DELETE ON ventes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ventes_mois_after_delete();
CREATE TRIGGER ventes_mois_after_update AFTER UPDATE ON ventes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ventes_mois_after_update();
CREATE TRIGGER ventes_mois_after_truncate AFTER TRUNCATE ON ventes
    FOR EACH STATEMENT EXECUTE FUNCTION ventes_mois_after_truncate();

SELECT ventes_mois_touch(ARRAY(SELECT DISTINCT date_trunc('month', date_vente)::date FROM ventes_par_jour));
