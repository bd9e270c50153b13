-- One database and one login role per Herald service, each role limited to its own database,
-- plus the schema registry's store. Docker's Postgres image runs this once on a fresh volume; the
-- native stack provisions the same logins (src/postgres.ts). Generated from the services'
-- package.json files: do not edit, run `npm run compose:files` (a unit test fails until then).
-- Passwords are development defaults only.
CREATE ROLE herald_order WITH LOGIN PASSWORD 'herald_order_dev';
CREATE ROLE herald_inventory WITH LOGIN PASSWORD 'herald_inventory_dev';
CREATE ROLE herald_payment WITH LOGIN PASSWORD 'herald_payment_dev';
CREATE ROLE herald_email WITH LOGIN PASSWORD 'herald_email_dev';
CREATE ROLE herald_analytics WITH LOGIN PASSWORD 'herald_analytics_dev';
CREATE ROLE herald_registry WITH LOGIN PASSWORD 'herald_registry_dev';

CREATE DATABASE herald_order OWNER herald_order;
CREATE DATABASE herald_inventory OWNER herald_inventory;
CREATE DATABASE herald_payment OWNER herald_payment;
CREATE DATABASE herald_email OWNER herald_email;
CREATE DATABASE herald_analytics OWNER herald_analytics;
CREATE DATABASE herald_registry OWNER herald_registry;

REVOKE ALL ON DATABASE herald_order FROM PUBLIC;
REVOKE ALL ON DATABASE herald_inventory FROM PUBLIC;
REVOKE ALL ON DATABASE herald_payment FROM PUBLIC;
REVOKE ALL ON DATABASE herald_email FROM PUBLIC;
REVOKE ALL ON DATABASE herald_analytics FROM PUBLIC;
REVOKE ALL ON DATABASE herald_registry FROM PUBLIC;
