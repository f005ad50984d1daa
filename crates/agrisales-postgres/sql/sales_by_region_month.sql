-- Total sales by region and month: quantity (kg) and revenue (€).
-- Reads the daily totals of ventes_par_jour, which triggers keep equal to
-- ventes (see the migration that creates it).
-- $1, $2: optional half-open date range [start, end); NULL = unbounded.
-- In psql: PREPARE q(date, date) AS <this query>; EXECUTE q(NULL, NULL);
SELECT r.id_region,
       r.nom_region,
       to_char(date_trunc('month', v.date_vente), 'YYYY-MM')        AS mois,
       (sum(v."quantité") * 1000)::int8                             AS quantite_milli,
       (round(sum(v."quantité" * p.prix_unitaire), 2) * 100)::int8  AS chiffre_affaires_centimes,
       sum(v.nombre_ventes)::int8                                    AS nombre_ventes
FROM ventes_par_jour v
JOIN produits p ON p.id_produit = v.id_produit
JOIN regions r  ON r.id_region = v.region_vente
WHERE ($1::date IS NULL OR v.date_vente >= $1::date)
  AND ($2::date IS NULL OR v.date_vente <  $2::date)
GROUP BY r.id_region, r.nom_region, date_trunc('month', v.date_vente)
ORDER BY r.id_region, mois;
