-- The tracker store's database, owned by the same role as the application database.
CREATE DATABASE shop_support_tracker OWNER shop_support;
