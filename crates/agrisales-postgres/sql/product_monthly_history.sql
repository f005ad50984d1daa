-- Monthly history of one product: every month from its first to its last
-- sale in the range, months without sales included with 0.
-- Reads the daily totals of ventes_par_jour, which triggers keep equal to
-- ventes (see the migration that creates it).
-- $1, $2: optional half-open date range [start, end); $3: id_produit.
-- In psql: PREPARE q(date, date, int) AS <this query>; EXECUTE q(NULL, NULL, 1);
WITH sales AS (
    SELECT date_trunc('month', v.date_vente)::date           AS mois,
           sum(v."quantité")                                 AS quantite,
           round(sum(v."quantité" * p.prix_unitaire), 2)     AS chiffre_affaires,
           sum(v.nombre_ventes)::int8                                    AS nombre_ventes
    FROM ventes_par_jour v
    JOIN produits p ON p.id_produit = v.id_produit
    WHERE v.id_produit = $3
      AND ($1::date IS NULL OR v.date_vente >= $1::date)
      AND ($2::date IS NULL OR v.date_vente <  $2::date)
    GROUP BY 1
), months AS (
    SELECT generate_series(min(mois), max(mois), interval '1 month')::date AS mois
    FROM sales
)
SELECT to_char(m.mois, 'YYYY-MM')                            AS mois,
       (coalesce(s.quantite, 0) * 1000)::int8                AS quantite_milli,
       (coalesce(s.chiffre_affaires, 0) * 100)::int8         AS chiffre_affaires_centimes,
       coalesce(s.nombre_ventes, 0)                          AS nombre_ventes
FROM months m
LEFT JOIN sales s ON s.mois = m.mois
ORDER BY m.mois;
