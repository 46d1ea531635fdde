"""Evaluation: a classified use case's gate graph against an evidence bundle → a decision."""
