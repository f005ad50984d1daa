-- The N most popular categories of each region. Popularity is revenue,
-- because kilograms of wheat and of cheese do not compare; quantity and
-- number of sales come along. Ranked with rank().
-- Reads the daily totals of ventes_par_jour, which triggers keep equal to
-- ventes (see the migration that creates it).
-- $1, $2: optional half-open date range [start, end); $3: N.
-- In psql: PREPARE q(date, date, int) AS <this query>; EXECUTE q(NULL, NULL, 3);
WITH totals AS (
    SELECT v.region_vente                                  AS id_region,
           p."catégorie"                                   AS categorie,
           sum(v."quantité")                               AS quantite,
           round(sum(v."quantité" * p.prix_unitaire), 2)   AS chiffre_affaires,
           sum(v.nombre_ventes)::int8                                    AS nombre_ventes
    FROM ventes_par_jour v
    JOIN produits p ON p.id_produit = v.id_produit
    WHERE ($1::date IS NULL OR v.date_vente >= $1::date)
      AND ($2::date IS NULL OR v.date_vente <  $2::date)
    GROUP BY v.region_vente, p."catégorie"
), ranked AS (
    SELECT totals.*,
           rank() OVER (PARTITION BY id_region ORDER BY chiffre_affaires DESC) AS rang
    FROM totals
)
SELECT k.id_region,
       r.nom_region,
       k.categorie,
       (k.quantite * 1000)::int8              AS quantite_milli,
       (k.chiffre_affaires * 100)::int8       AS chiffre_affaires_centimes,
       k.nombre_ventes,
       k.rang
FROM ranked k
JOIN regions r ON r.id_region = k.id_region
WHERE k.rang <= $3
ORDER BY k.id_region, k.rang, k.categorie;
