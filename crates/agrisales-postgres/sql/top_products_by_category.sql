-- Best-selling products of each category by quantity, N per category.
-- Reads the daily totals of ventes_par_jour, which triggers keep equal to
-- ventes (see the migration that creates it).
-- rank() lets equal quantities share a rank and leaves a gap after them
-- ("1, 2, 2, 4"), so a tie at rank N keeps every tied product.
-- Only products with sales in the range are ranked.
-- $1, $2: optional half-open date range [start, end); $3: N.
-- In psql: PREPARE q(date, date, int) AS <this query>; EXECUTE q(NULL, NULL, 3);
WITH totals AS (
    SELECT p.id_produit,
           p.nom,
           p."catégorie",
           sum(v."quantité")                                 AS quantite,
           round(sum(v."quantité" * p.prix_unitaire), 2)     AS chiffre_affaires
    FROM ventes_par_jour v
    JOIN produits p ON p.id_produit = v.id_produit
    WHERE ($1::date IS NULL OR v.date_vente >= $1::date)
      AND ($2::date IS NULL OR v.date_vente <  $2::date)
    GROUP BY p.id_produit, p.nom, p."catégorie"
), ranked AS (
    SELECT totals.*,
           rank() OVER (PARTITION BY "catégorie" ORDER BY quantite DESC) AS rang
    FROM totals
)
SELECT id_produit,
       nom,
       "catégorie"                            AS categorie,
       (quantite * 1000)::int8                AS quantite_milli,
       (chiffre_affaires * 100)::int8         AS chiffre_affaires_centimes,
       rang
FROM ranked
WHERE rang <= $3
ORDER BY categorie, rang, id_produit;
