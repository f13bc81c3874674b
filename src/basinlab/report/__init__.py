"""basinlab.report"""
