"""Importers that turn third-party configuration models into ProductModels."""
