-- Reference data of the embedded CRM: the sales team. Shop orders go to the least-loaded
-- b2c manager; each partner has one key-account manager.
INSERT INTO "managers" ("id", "name", "email", "kind", "partner_id") VALUES
  ('mgr-b2c-1', 'Lena Vogt', 'lena.vogt@example.com', 'b2c', NULL),
  ('mgr-b2c-2', 'Jonas Brandt', 'jonas.brandt@example.com', 'b2c', NULL),
  ('mgr-b2c-3', 'Mira Kaya', 'mira.kaya@example.com', 'b2c', NULL),
  ('mgr-ka-acme', 'Paul Hartmann', 'paul.hartmann@example.com', 'key_account', 'acme'),
  ('mgr-ka-globex', 'Sofia Romano', 'sofia.romano@example.com', 'key_account', 'globex')
ON CONFLICT ("id") DO NOTHING;
