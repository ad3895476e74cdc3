"""HTML views for briefs."""

from flask import Blueprint

bp = Blueprint("briefs", __name__)
