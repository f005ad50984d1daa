DROP TRIGGER ventes_par_jour_after_truncate ON ventes;
DROP TRIGGER ventes_par_jour_after_update ON ventes;
DROP TRIGGER ventes_par_jour_after_delete ON ventes;
DROP TRIGGER ventes_par_jour_after_insert ON ventes;
DROP FUNCTION ventes_par_jour_truncate();
DROP FUNCTION ventes_par_jour_update();
DROP FUNCTION ventes_par_jour_remove();
DROP FUNCTION ventes_par_jour_add();
DROP TABLE ventes_par_jour;
