-- Component weights (bobot) of the LKE's enabling components per target year, for the
-- unit's own estimate of its pengungkit score. 2021 follows PermenPAN-RB 10/2019:
-- I 5, II 5, III 15, IV 10, V 15, VI 10 (total 60).
CREATE TABLE component_weights (
    year    INTEGER NOT NULL REFERENCES target_years(year),
    numeral TEXT    NOT NULL CHECK (numeral IN ('I', 'II', 'III', 'IV', 'V', 'VI')),
    weight  REAL    NOT NULL CHECK (weight >= 0 AND weight <= 100),
    PRIMARY KEY (year, numeral)
);

INSERT INTO component_weights (year, numeral, weight) VALUES
    (2021, 'I', 5), (2021, 'II', 5), (2021, 'III', 15),
    (2021, 'IV', 10), (2021, 'V', 15), (2021, 'VI', 10);
