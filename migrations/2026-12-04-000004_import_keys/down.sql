DROP TRIGGER import_cles_ventes_after_truncate ON ventes;
DROP TRIGGER import_cles_ventes_after_delete ON ventes;
DROP FUNCTION import_cles_ventes_clear();
DROP FUNCTION import_cles_ventes_forget();
DROP TABLE import_cles_ventes;
