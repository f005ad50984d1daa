-- Daily totals per product and region, kept equal to `ventes` by
-- triggers. The analyses read it instead of `ventes`: about
-- products × regions × days rows (600,000 for 42 products, 13 regions and
-- 3 years) however many sales there are, and any date range still cuts
-- at a day boundary. Revenue stays exact because a product has one price:
-- sum(quantité) × prix_unitaire = sum(quantité × prix_unitaire).

CREATE TABLE ventes_par_jour (
    date_vente     DATE    NOT NULL,
    id_produit     INTEGER NOT NULL,
    region_vente   INTEGER NOT NULL,
    "quantité"     NUMERIC NOT NULL,
    nombre_ventes  BIGINT  NOT NULL CHECK (nombre_ventes > 0),
    PRIMARY KEY (date_vente, id_produit, region_vente)
);

CREATE INDEX ventes_par_jour_produit_idx ON ventes_par_jour (id_produit, date_vente);

-- Statement-level triggers see every changed row at once through
-- transition tables, so a COPY of 100,000 rows costs one grouped upsert.
CREATE FUNCTION ventes_par_jour_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ventes_par_jour AS s (date_vente, id_produit, region_vente, "quantité", nombre_ventes)
    SELECT date_vente, id_produit, region_vente, sum("quantité"), count(*)
    FROM new_rows
    GROUP BY date_vente, id_produit, region_vente
    ON CONFLICT (date_vente, id_produit, region_vente) DO UPDATE
        SET "quantité" = s."quantité" + excluded."quantité",
            nombre_ventes = s.nombre_ventes + excluded.nombre_ventes;
    RETURN NULL;
END
$$;

CREATE FUNCTION ventes_par_jour_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Delete the days whose last sale went before updating the others:
    -- after the update the counts no longer tell them apart.
    DELETE FROM ventes_par_jour s
     USING (SELECT date_vente, id_produit, region_vente, count(*) AS n FROM old_rows
            GROUP BY date_vente, id_produit, region_vente) r
     WHERE s.date_vente = r.date_vente AND s.id_produit = r.id_produit AND s.region_vente = r.region_vente
       AND s.nombre_ventes <= r.n;

    WITH removed AS (
        SELECT date_vente, id_produit, region_vente, sum("quantité") AS q, count(*) AS n
        FROM old_rows
        GROUP BY date_vente, id_produit, region_vente
    )
    UPDATE ventes_par_jour s
       SET "quantité" = s."quantité" - r.q,
           nombre_ventes = s.nombre_ventes - r.n
      FROM removed r
     WHERE s.date_vente = r.date_vente AND s.id_produit = r.id_produit AND s.region_vente = r.region_vente
       AND s.nombre_ventes > r.n;
    RETURN NULL;
END
$$;

CREATE FUNCTION ventes_par_jour_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Remove the old rows' contribution, then add the new rows'.
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.ventes_par_jour_delta (LIKE ventes_par_jour) ON COMMIT DROP;
    DELETE FROM pg_temp.ventes_par_jour_delta;

    INSERT INTO pg_temp.ventes_par_jour_delta (date_vente, id_produit, region_vente, "quantité", nombre_ventes)
    SELECT date_vente, id_produit, region_vente, sum(q), sum(n)
    FROM (
        SELECT date_vente, id_produit, region_vente, "quantité" AS q, 1 AS n FROM new_rows
        UNION ALL
        SELECT date_vente, id_produit, region_vente, -"quantité", -1 FROM old_rows
    ) changes
    GROUP BY date_vente, id_produit, region_vente;

    INSERT INTO ventes_par_jour AS s (date_vente, id_produit, region_vente, "quantité", nombre_ventes)
    SELECT date_vente, id_produit, region_vente, "quantité", nombre_ventes
    FROM pg_temp.ventes_par_jour_delta
    WHERE nombre_ventes > 0
    ON CONFLICT (date_vente, id_produit, region_vente) DO UPDATE
        SET "quantité" = s."quantité" + excluded."quantité",
            nombre_ventes = s.nombre_ventes + excluded.nombre_ventes;

    -- Delete before updating, for the same reason as in ventes_par_jour_remove.
    DELETE FROM ventes_par_jour s
     USING pg_temp.ventes_par_jour_delta d
     WHERE s.date_vente = d.date_vente AND s.id_produit = d.id_produit AND s.region_vente = d.region_vente
       AND d.nombre_ventes < 0 AND s.nombre_ventes + d.nombre_ventes <= 0;

    UPDATE ventes_par_jour s
       SET "quantité" = s."quantité" + d."quantité",
           nombre_ventes = s.nombre_ventes + d.nombre_ventes
      FROM pg_temp.ventes_par_jour_delta d
     WHERE s.date_vente = d.date_vente AND s.id_produit = d.id_produit AND s.region_vente = d.region_vente
       AND d.nombre_ventes <= 0 AND s.nombre_ventes + d.nombre_ventes > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION ventes_par_jour_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE ventes_par_jour;
    RETURN NULL;
END
$$;

CREATE TRIGGER ventes_par_jour_after_insert AFTER INSERT ON ventes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ventes_par_jour_add();
CREATE TRIGGER ventes_par_jour_after_delete AFTER DELETE ON ventes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ventes_par_jour_remove();
CREATE TRIGGER ventes_par_jour_after_update AFTER UPDATE ON ventes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ventes_par_jour_update();
CREATE TRIGGER ventes_par_jour_after_truncate AFTER TRUNCATE ON ventes
    FOR EACH STATEMENT EXECUTE FUNCTION ventes_par_jour_truncate();

INSERT INTO ventes_par_jour (date_vente, id_produit, region_vente, "quantité", nombre_ventes)
SELECT date_vente, id_produit, region_vente, sum("quantité"), count(*)
FROM ventes
GROUP BY date_vente, id_produit, region_vente;
