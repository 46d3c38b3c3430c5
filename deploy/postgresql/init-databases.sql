-- Run once by the postgres image on an empty data volume (docker-compose.yml mounts it into
-- /docker-entrypoint-initdb.d). One database per system of the pipeline (DATABASE_NAMES in
-- src/platform/config.ts); Temporal's own databases are created by its auto-setup.
CREATE DATABASE orders_shop;
CREATE DATABASE orders_crm;
CREATE DATABASE orders_mes;
CREATE DATABASE orders_carrier;
CREATE DATABASE orders_pricing;
