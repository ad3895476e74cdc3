"""HTML views for offers."""

from flask import Blueprint

bp = Blueprint("offers", __name__)
