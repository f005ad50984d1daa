DROP TABLE ventes;
DROP TABLE produits;
DROP TABLE regions;
