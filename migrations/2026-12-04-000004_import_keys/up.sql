-- Natural keys of sales imported from CSV files without ids (product,
-- region, date and the mapping's key columns), so that importing the same
-- file again adds nothing. `ventes` keeps exactly its contract columns.
-- Triggers forget the key of a deleted sale: a later import may load it
-- again, and ids reused after TRUNCATE ... RESTART IDENTITY never match a
-- stale key.

CREATE TABLE import_cles_ventes (
    cle       TEXT   PRIMARY KEY,
    id_vente  BIGINT NOT NULL UNIQUE
);

CREATE FUNCTION import_cles_ventes_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM import_cles_ventes k USING old_rows o WHERE k.id_vente = o.id_vente;
    RETURN NULL;
END;
$$;

CREATE TRIGGER import_cles_ventes_after_delete AFTER DELETE ON ventes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION import_cles_ventes_forget();

CREATE FUNCTION import_cles_ventes_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE import_cles_ventes;
    RETURN NULL;
END;
$$;

CREATE TRIGGER import_cles_ventes_after_truncate AFTER TRUNCATE ON ventes
    FOR EACH STATEMENT EXECUTE FUNCTION import_cles_ventes_clear();
