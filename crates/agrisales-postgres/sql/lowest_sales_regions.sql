-- Regions ranked from the lowest revenue up, with revenue per inhabitant.
-- Reads the daily totals of ventes_par_jour, which triggers keep equal to
-- ventes (see the migration that creates it).
-- Every region appears; one without sales in the range has revenue 0.
-- rang ranks by revenue, rang_par_habitant by revenue per inhabitant
-- (NULL for a population of 0), both ascending with rank().
-- $1, $2: optional half-open date range [start, end).
-- In psql: PREPARE q(date, date) AS <this query>; EXECUTE q(NULL, NULL);
WITH totals AS (
    SELECT r.id_region,
           r.nom_region,
           r.population,
           coalesce(round(sum(v."quantité" * p.prix_unitaire), 2), 0) AS chiffre_affaires
    FROM regions r
    LEFT JOIN ventes_par_jour v
           ON v.region_vente = r.id_region
          AND ($1::date IS NULL OR v.date_vente >= $1::date)
          AND ($2::date IS NULL OR v.date_vente <  $2::date)
    LEFT JOIN produits p ON p.id_produit = v.id_produit
    GROUP BY r.id_region, r.nom_region, r.population
)
SELECT id_region,
       nom_region,
       population,
       (chiffre_affaires * 100)::int8                                             AS chiffre_affaires_centimes,
       (chiffre_affaires / nullif(population, 0))::float8                          AS chiffre_affaires_par_habitant,
       rank() OVER (ORDER BY chiffre_affaires)                                     AS rang,
       rank() OVER (ORDER BY chiffre_affaires / nullif(population, 0) NULLS LAST)  AS rang_par_habitant
FROM totals
ORDER BY rang, id_region;
