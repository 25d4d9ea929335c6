"""Plain data shared by every layer: findings, QuayRegistry accessors, versions. No I/O, no imports of
other quayops packages."""
