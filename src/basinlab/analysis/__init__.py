"""basinlab.analysis"""
